"""The look shared by the self-contained HTML pages (the trace waterfall, the business view):
a dark header and white cards on a light page, inline CSS only."""

from __future__ import annotations

from typing import Final

PAGE_CSS: Final = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;
background:#f4f6fa;color:#1f2937}
header{background:#111827;color:#f9fafb;padding:18px 28px}
header h1{margin:0;font-size:20px;font-weight:600}
header p{margin:4px 0 0;color:#9ca3af;font-size:13px}
section{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:14px 18px}
"""
