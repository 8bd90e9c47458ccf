"""llm/layers"""
