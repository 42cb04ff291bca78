-- migrate:up
-- The categories Bookiji launches with in Montreal. Ids are fixed so that
-- every environment (and the demo data generator) agrees on them.
insert into app.service_categories (id, slug, name_en, name_fr, sort_order) values
(1, 'haircut', 'Haircut', 'Coupe de cheveux', 10),
(2, 'barber', 'Barber', 'Barbier', 20),
(3, 'massage', 'Massage therapy', 'Massothérapie', 30),
(4, 'nails', 'Manicure and pedicure', 'Manucure et pédicure', 40),
(5, 'esthetics', 'Facial and skin care', 'Soins du visage', 50),
(6, 'physiotherapy', 'Physiotherapy', 'Physiothérapie', 60),
(7, 'personal-training', 'Personal training', 'Entraînement personnel', 70),
(8, 'yoga', 'Private yoga class', 'Cours de yoga privé', 80),
(9, 'dog-grooming', 'Dog grooming', 'Toilettage canin', 90),
(10, 'house-cleaning', 'House cleaning', 'Ménage résidentiel', 100),
(11, 'tutoring', 'Tutoring', 'Tutorat', 110),
(12, 'photography', 'Portrait photography', 'Photographie de portrait', 120),
(13, 'bike-repair', 'Bike repair', 'Réparation de vélo', 130),
(14, 'tattoo', 'Tattoo', 'Tatouage', 140);

-- migrate:down
delete from app.service_categories where id between 1 and 14;
