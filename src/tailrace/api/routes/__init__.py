"""Thin routers: parse the request, call a service, return its dict."""
