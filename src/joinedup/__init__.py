"""joinedup: joined-up health and social care intelligence for Health and Wellbeing Boards.

Data flows one way: contract -> landing -> identity -> warehouse -> marts -> metrics/risk -> outputs.
"""

__version__ = "0.1.0"
