-- The shop's database (TESTBED_SHOP_DB, default testbed_shop).
-- `testbed.py reset` drops and recreates the database, then runs this file.

-- No AUTO_INCREMENT: the shop allocates MAX(id) + 1 itself (see tb/shop.py).
CREATE TABLE orders (
    id         INT          NOT NULL PRIMARY KEY,
    account_id INT          NOT NULL,
    item       VARCHAR(64)  NOT NULL,
    price      BIGINT       NOT NULL,
    status     VARCHAR(16)  NOT NULL
) ENGINE = InnoDB;

CREATE TABLE reviews (
    id    INT          NOT NULL AUTO_INCREMENT PRIMARY KEY,
    item  VARCHAR(64)  NOT NULL,
    stars INT          NOT NULL,
    body  VARCHAR(1024) NOT NULL
) ENGINE = InnoDB;
