DROP TABLE accrual_postings;
