"""The versioned prompt library: one TOML file per prompt version, validated at load time."""

from minutes.prompts.library_loader import (
    Compression,
    Prompt,
    PromptLibrary,
    configured_library,
    load_library,
)

__all__ = ["Compression", "Prompt", "PromptLibrary", "configured_library", "load_library"]
