"""Every procedure Sulh administers. Importing this package registers them with the engine."""

from workflows.procedures import arbitration, expedited, med_arb  # noqa: F401  (register)
