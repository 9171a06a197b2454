"""The Slack adapter: Bolt listeners, Block Kit rendering, the Web API transport and Slack's own words and ids."""
