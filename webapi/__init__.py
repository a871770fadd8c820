"""The HTTP floor every domain's ``api.py`` shares, knowing no domain: the running process's parts handed to
routes as typed dependencies (:mod:`webapi.deps`) and one way to turn a service's error into a response
(:mod:`webapi.errors`)."""
