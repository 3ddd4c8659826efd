"""The tier above the setting: trusts, partnerships, people across settings, and the training each role needs."""
