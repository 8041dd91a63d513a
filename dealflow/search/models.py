"""No Django models: the search index is a table of its own per database (see schema.py).

This module exists so Django sends this app post_migrate (it skips apps without one), which
puts back triggers a table rebuild dropped."""
