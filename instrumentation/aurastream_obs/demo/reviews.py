"""Product-review texts for the demo's traffic: a pool of sentences and context tails.

The sentences cover the four labels the service answers (positive, negative, neutral, mixed);
a tail ("Bought it for my son.") combined with a sentence makes a new, still realistic, text
whenever the traffic mix needs a cache miss.
"""

from __future__ import annotations

from typing import Final

REVIEWS: Final[tuple[str, ...]] = (
    # positive
    "Absolutely love these headphones, the sound is crisp and the bass is deep.",
    "Setup took two minutes and it has worked flawlessly ever since.",
    "Best purchase I have made this year, worth every penny.",
    "The customer support team was friendly and solved my problem right away.",
    "Great value for the price, I would happily buy it again.",
    "The blender is powerful, quiet and easy to clean. Highly recommended!",
    "My kids adore this game and we play it together every weekend.",
    "Fantastic battery life, it easily lasts three days on a single charge.",
    "Beautiful design and the build quality feels premium.",
    "Shipping was fast and the item arrived perfectly packaged.",
    "This coffee maker makes the best espresso I have had outside a cafe.",
    # negative
    "The charger stopped working after a week. Very disappointed.",
    "Terrible quality, the seams ripped the first time I wore it.",
    "Customer service ignored my emails for two weeks. Never again.",
    "The app keeps crashing and I lost my data, so frustrating.",
    "It arrived broken and the replacement was damaged too.",
    "Way too loud, and it smells awful, like burning plastic.",
    "Awful fit, the sizes run small and the return process was painful.",
    "The screen scratches easily and the colors look dull and ugly.",
    "I regret buying this, it is a waste of money.",
    "The instructions are useless and two screws were missing.",
    # neutral
    "The package arrived on Tuesday.",
    "It comes in three colors: black, silver and blue.",
    "I ordered the medium size.",
    "The box contains the device, a cable and a manual.",
    "It weighs about two kilograms.",
    "I have been using it for a month now.",
    "The product matches the description on the website.",
    "Delivery took five business days.",
    "The manual is available in English and Spanish.",
    # mixed
    "I love the camera but I hate the battery life.",
    "Great sound quality, but the ear cushions are uncomfortable after an hour.",
    "The food was delicious but the service was painfully slow.",
    "Nice design, terrible software.",
    "The price is great, but the quality is poor.",
    "Comfortable shoes, but they fell apart after a month, so disappointing.",
    "The hotel room was beautiful but the staff were rude.",
    "Fast delivery, but the item was broken and the wrong size.",
    "Brilliant screen, awful speakers.",
    "I like the features but the interface is confusing and slow.",
)

TAILS: Final[tuple[str, ...]] = (
    "Bought it for my son.",
    "Ordered it last month.",
    "This is my second one.",
    "Used it on a camping trip.",
    "It was a birthday gift.",
    "Got it on sale.",
    "My partner picked it out.",
    "We use it at the office.",
    "Compared it with two other brands.",
    "Had it for a few weeks now.",
    "Purchased through the mobile app.",
    "Review after one week of use.",
)

# Over the service's 5,000-byte limit (a 400 `text_too_long`).
OVERSIZED_TEXT: Final = " ".join(REVIEWS) * 4
