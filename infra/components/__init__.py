"""One ComponentResource per concern. Components never import each other; `__main__` wires them."""
