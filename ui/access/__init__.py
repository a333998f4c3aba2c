"""Who may see what: sign-in through st.login, roles from the identity claims, and the one role
-> page and dataset table every path to the data checks."""
