"""What the collector and the mesh share without either importing the other: the lap definition.

Nothing here imports a server package (``racecoach.services``) or a server dependency; the
collector a driver installs imports this package, and so does analysis.
"""
