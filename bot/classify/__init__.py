"""Classification: rules overrides, the local model, the LLM, and the cascade that picks among them."""
