"""Built-in ansatz families.

Each module registers its families with :func:`plugins.register_ansatz`, exactly
as a third-party plugin does; the registry imports them on first use.
"""
