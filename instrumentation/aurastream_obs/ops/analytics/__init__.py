"""Business and cost analytics: the seed's CustomerAnalytics,
RevenueAnalytics, CostMonitor and CostOptimizer/AutoScaler over the metrics backends."""
