"""Helpers of the Spark suite."""

import datetime as dt

GENERATED_AS_OF = dt.date(2016, 5, 1)  # the generator's default window ends 2016-03
