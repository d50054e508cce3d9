"""The process owners' studio: model library, versions, the diagram and form editors, import, compare, migrate."""
