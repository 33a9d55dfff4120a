"""The built-in NER heads, each one :class:`~sims.ner.heads.Head` in its own module.

The registry imports every module here (:func:`sims.ner.heads.registry.head_names`): a new
file is a new head, registered the same way a user's ``--plugin`` head is.
"""
