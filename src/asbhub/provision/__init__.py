"""Setting a database up across capabilities: the schema with its reference geography
(``asbhub db upgrade``) and the demo database (``asbhub demo``).

It sits above the capabilities it spans (store, geography, generate, ingest, auth, contact),
so none of them imports another to build a whole site.
"""
