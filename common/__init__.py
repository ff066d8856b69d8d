"""What the collector and the mesh share without either importing the other: the channel catalogue,
the settings, a sample's tick, building and framing batches, and the lap definition.

Nothing here imports a server package (``racecoach.services``) or a server dependency; the
collector a driver installs imports this package, and so does the mesh (``racecoach.services.common``
keeps its old module names as aliases of these).
"""
