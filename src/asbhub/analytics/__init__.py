"""Board figures: KPIs, most-similar-group comparison, surveys and forecasts."""
