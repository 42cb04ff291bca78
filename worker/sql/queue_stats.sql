select queue_name, queue_length, queue_visible_length, oldest_msg_age_sec
from internal.queue_stats()
