-- The bank's database (TESTBED_BANK_DB, default testbed_bank).
-- `testbed.py reset` drops and recreates the database, then runs this file.

CREATE TABLE accounts (
    id      INT          NOT NULL PRIMARY KEY,
    owner   VARCHAR(64)  NOT NULL,
    balance BIGINT       NOT NULL
) ENGINE = InnoDB;

-- Account 4 is kept for the lost-update demonstration of selftest.sh.
INSERT INTO accounts (id, owner, balance) VALUES
    (1, 'alice', 100),
    (2, 'bob',   100),
    (3, 'carol',  50),
    (4, 'dave',  100);
