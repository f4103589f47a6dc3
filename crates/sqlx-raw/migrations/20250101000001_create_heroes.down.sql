DROP TABLE heroes;
