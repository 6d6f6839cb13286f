"""HTTP routers: thin (parse, call one domain function, shape the response)."""
