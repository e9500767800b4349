"""Thin routers: parse the request, take what it needs from ``deps`` (its Annotated dependencies),
call one function, return its dict."""
