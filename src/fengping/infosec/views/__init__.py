"""Pages of the infosec app, one module per area; each module's `urlpatterns` is
collected by `fengping.infosec.urls` and it registers its tabs (`infosec.tabs`)."""
