"""The composition root: builds the context, starts the runtime threads, scheduler and web front."""
