"""The Microsoft Teams adapter: activities in, Adaptive Cards out, proactive digests to stored conversation references."""
