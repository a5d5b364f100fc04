CREATE DATABASE users_api;
CREATE DATABASE incidents_api;
