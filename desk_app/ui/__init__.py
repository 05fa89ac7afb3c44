"""The Qt desktop client: talks to the store only through Queries and Service, off-thread."""
