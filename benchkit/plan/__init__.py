"""`benchkit plan`: the twin's model on a virtual clock plus prices: cost before anyone pays."""
