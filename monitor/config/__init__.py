"""Configuration: one file and the environment, validated once; what a command opens."""
