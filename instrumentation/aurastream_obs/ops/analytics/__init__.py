"""Business and cost analytics (issue 6, section 6): the seed's CustomerAnalytics,
RevenueAnalytics, CostMonitor and CostOptimizer/AutoScaler over the metrics backends."""
