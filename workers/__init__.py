"""Streaming news enrichment: clean scraped pages, deduplicate wire stories, tag entities, on Kafka."""
