"""The synthetic local health and social care economy (`joinedup synth`)."""
