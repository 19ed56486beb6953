-- Threads: a post may continue another post of the same channel; it goes out once that post is
-- published, as a reply to it.

ALTER TABLE posts ADD COLUMN reply_to_post_id INTEGER REFERENCES posts(id) ON DELETE SET NULL;
