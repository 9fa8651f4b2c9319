"""Reading envsplit.yml, environment.yml and overlays, and composing them into variants."""
