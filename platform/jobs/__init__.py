"""Jobs: the dramatiq broker, the injectable clock's tenant offsets, and the DB-driven scheduler."""
