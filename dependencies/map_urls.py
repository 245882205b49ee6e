"""Routes of the leadership pages: the blocked-capability map and what explains it."""

urlpatterns: list = []
