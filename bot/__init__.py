"""The Teams bot service: wiring, HTTP, storage, scheduler and outbound sends (not built yet)."""
