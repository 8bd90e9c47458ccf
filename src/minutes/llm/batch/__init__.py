"""llm/batch"""
