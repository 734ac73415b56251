"""The Streamlit-aware layer: entry script, auth gate, navigation, components, the CLI."""
