"""The city's services as plain Python over a database (complaints, open data, IoT, voting), their standard web
APIs, and the one tool registry that describes them to the assistant. (The civic-services issues fill it.)"""
