"""The Microsoft Teams adapter: activities in, Adaptive Cards out, proactive digests to stored conversation references."""
import warnings

# The SDK warns on import that a preview feature kpibot does not use (HTML widgets) may change: not the
# operator's concern, and it would print before every start-up line.
warnings.filterwarnings("ignore", message="HtmlWidgetSecurityPolicy is in preview")
