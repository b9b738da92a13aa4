-- Each service owns its database; they never share one.
create database flowkiwi_identity;
create database flowkiwi_product_management;
