"""The versioned prompt library: one TOML file per prompt version, validated at load time."""

from minutes.prompts.library_loader import Prompt, PromptLibrary, load_library

__all__ = ["Prompt", "PromptLibrary", "load_library"]
