import VPPCore
/// PV and load forecasting (issue 4).
public enum ForecastModule {}
