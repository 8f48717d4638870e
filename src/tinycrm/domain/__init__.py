"""The domain: read models and inputs per area, errors, validation, dates and the clock. Plain Python, no I/O;
imports nothing of tinycrm's but itself."""
