"""Settlement: collected debits released to the store on their T+N business day, in daily batches."""
