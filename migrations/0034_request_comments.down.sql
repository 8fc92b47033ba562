DROP TABLE "request_comments";
